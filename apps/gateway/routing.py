from django.urls import path

from apps.gateway import consumers

websocket_urlpatterns = [
    path("ws/jobs/<uuid:job_id>/", consumers.JobConsumer.as_asgi()),
]
