"""Page-number pagination that reads ``?page=`` as strictly as the schema documents it."""

from __future__ import annotations

from rest_framework.pagination import PageNumberPagination


class StrictPageNumberPagination(PageNumberPagination):
    """``page`` is a whole number from 1: an empty value or ``last`` is an invalid page (404, as for a page
    past the end), not page 1 or the last page as DRF would read them."""

    last_page_strings = ()

    def get_page_number(self, request, paginator):
        return request.query_params.get(self.page_query_param, 1)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
        return parameters
