"""Template filters of the emergency pages: the running clock as people read it."""

from django import template

from emergencies.models import ClockState

register = template.Library()


@register.filter
def clock(seconds: int | None) -> str:
    """Seconds as H:MM:SS, without a sign (the words around it say left or late): 2533 -> '0:42:13'."""
    if seconds is None:
        return ""
    seconds = abs(int(seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


@register.filter
def answer(value: bool | None, kind: str = "") -> str:
    """A reporter's answer in words: Yes / No / Not known (Inside / Outside for the 'inside' question)."""
    if value is None:
        return "Not known"
    if kind == "inside":
        return "Inside a building" if value else "Outside"
    return "Yes" if value else "No"


@register.filter
def state_label(state: str) -> str:
    """'at_risk' -> 'At risk': the clock's state in words (never by colour alone)."""
    return ClockState(state).label
