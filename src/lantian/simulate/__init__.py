"""Virtual HJ 212 data loggers replaying a bundle against a gateway (``lantian simulate``)."""

from lantian.simulate.loggers import SimPacket, SimResult, load_bundle_packets, run_simulation

__all__ = ["SimPacket", "SimResult", "load_bundle_packets", "run_simulation"]
