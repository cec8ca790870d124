"""Your data: what is stored, the export, deleting the history and the account (docs/privacy.md).

Thin DRF views over apps.gateway.privacy; authenticated like the rest of the API (Bearer JWT, or
cookies/session with the CSRF header on unsafe methods). Only the person's own data is reachable.
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts import api as accounts_api
from apps.gateway import privacy
from apps.gateway.openapi import error_response
from apps.gateway.serializers import (
    AccountDeleteRequestSerializer,
    DataExportSerializer,
    HistoryDeletedSerializer,
    StoredDataSerializer,
)

TAG = "account"


class AccountView(APIView):
    @extend_schema(tags=[TAG], summary="What is stored about you", responses={200: StoredDataSerializer})
    def get(self, request):
        return Response(privacy.stored_data(request.user))


class AccountExportView(APIView):
    # A download: plain JSON whatever the Accept header (the browsable API would wrap it in HTML, and a
    # strict negotiation would answer 406 to a browser's link).
    renderer_classes = [JSONRenderer]

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        tags=[TAG],
        summary="Download all your data",
        description="Everything stored about you as one JSON document (an attachment): the account, every "
        "playlist with its text, reading and songs, and the failure records of your playlists. Nothing of "
        "anyone else.",
        responses={200: DataExportSerializer},
    )
    def get(self, request):
        stamp = timezone.now().strftime("%Y%m%d")
        filename = f"spg-export-{request.user.get_username()}-{stamp}.json"
        return Response(privacy.export(request.user), headers={"Content-Disposition": f'attachment; filename="{filename}"'})


class HistoryView(APIView):
    @extend_schema(
        tags=[TAG],
        summary="Delete all your playlists",
        description="Deletes every playlist (with its text) and its failure records at once; open job "
        "sockets close with 4404. The account stays.",
        responses={200: HistoryDeletedSerializer},
    )
    def delete(self, request):
        return Response(privacy.delete_history(request.user.pk))


class AccountDeleteView(APIView):
    parser_classes = [JSONParser]
    throttle_scope = "account_delete"

    @extend_schema(
        tags=[TAG],
        summary="Delete your account",
        description="Asks for your password. Deletes the account, every playlist, failure record, refresh "
        "token and session at once, closes your open sockets (4401) and clears the auth cookies. A wrong "
        "password answers 400 and deletes nothing.",
        request=AccountDeleteRequestSerializer,
        responses={
            204: OpenApiResponse(description="Deleted. Access tokens already issued answer 401 user_not_found."),
            400: error_response("The password is missing or wrong (error.fields.password); nothing was deleted."),
        },
    )
    def post(self, request):
        serializer = AccountDeleteRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            privacy.delete_account(request.user, serializer.validated_data["password"])
        except accounts_api.AuthError as error:
            raise exceptions.ValidationError(error.fields or {"password": [error.message]}) from error
        accounts_api.end_browser_session(request)
        response = Response(status=status.HTTP_204_NO_CONTENT)
        accounts_api.clear_auth_cookies(response)
        return response
