"""The client's address, honouring only the proxies we run behind."""

from django.conf import settings


def client_ip(request) -> str:
    """REMOTE_ADDR, or the address TRUSTED_PROXY_COUNT proxies reported in X-Forwarded-For.

    Clients can write any X-Forwarded-For they like; only the entries appended by our own
    proxies (the last TRUSTED_PROXY_COUNT) can be believed.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR", "")
