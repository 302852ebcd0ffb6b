"""The benchmark's ceiling: the least a Django view can do for a page of requests.

Mounted only when BENCHMARK=True. One indexed query (the newest 20 requests, read
from the submitted_at index), no authentication, no serializer, JSON out: what the
stack allows, so each real endpoint's throughput can be stated as a fraction of it.
"""

from django.http import JsonResponse

from utility_services.models import ServiceRequest


def ceiling(request):
    rows = list(
        ServiceRequest.objects.order_by("-submitted_at", "-id").values("id", "reference", "status", "submitted_at")[:20]
    )
    return JsonResponse({"message": "ceiling", "data": rows})
