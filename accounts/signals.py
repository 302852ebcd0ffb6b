"""Signals other apps may listen to, so accounts need not know about them."""

from django.dispatch import Signal

# Sent with `user` after a user's name, email or username changed (the service-request
# search index listens to it).
contact_details_changed = Signal()
