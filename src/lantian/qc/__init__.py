"""Remote quality control (远程质控) of data loggers through HJ 212 request commands:
the command catalogue (:mod:`.commands`), the queue and results (:mod:`.service`), the
gateway-side dispatcher (:mod:`.dispatch`) and the schedule (:mod:`.schedule`)."""
