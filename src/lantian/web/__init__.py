"""Web platform: FastAPI app with server-rendered pages (Jinja2 + HTMX) and a REST API.

- :mod:`lantian.web.app`       ``create_app(settings)``, the ASGI application
- :mod:`lantian.web.security`  signed session cookies, CSRF, rate limiting, security headers
- :mod:`lantian.web.i18n`      Babel gettext catalogs (zh_CN default, en)
- :mod:`lantian.web.deps`      request dependencies (database session, current principal)
- :mod:`lantian.web.queries`   lead list filters as small composable query objects
- :mod:`lantian.web.api`       REST routers under ``/api``
- :mod:`lantian.web.pages`     HTML page routers
"""
