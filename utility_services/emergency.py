"""The gas-emergency safety notice shown with every emergency request."""

from django.conf import settings


def safety_notice() -> dict:
    """Return the safety instructions, with the emergency number from settings."""
    phone = settings.EMERGENCY_PHONE_NUMBER
    return {
        "title": f"Gas emergency: leave the property and call {phone} now",
        "steps": [
            "Get everyone out of the property now and leave doors open behind you.",
            "Do not operate electrical switches, plugs or doorbells, and do not use naked flames or smoke.",
            "If it is safe to do so, turn off the gas at the meter control valve.",
            f"Call the gas emergency number {phone} from outside the property, even if you have "
            "submitted this request: it is answered 24 hours a day.",
        ],
        "emergency_phone": phone,
    }
