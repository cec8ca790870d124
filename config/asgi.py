"""ASGI entry point: HTTP through Django, WebSockets through Channels."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from apps.core.asgi import get_laned_asgi_application  # noqa: E402  (imports no model: safe before setup)

# Set up Django before importing consumers. Each lane is a thread that keeps its database connection.
django_asgi_app = get_laned_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from apps.accounts.api import websocket_auth_stack  # noqa: E402
from apps.gateway.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(websocket_auth_stack(URLRouter(websocket_urlpatterns))),
    }
)
