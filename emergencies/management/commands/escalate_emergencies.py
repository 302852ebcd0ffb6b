"""Run the emergency escalation once (schedule it every minute: cron, or the job queue's beat)."""

from django.core.management.base import BaseCommand

from emergencies.escalation import escalate_emergencies


class Command(BaseCommand):
    help = "Alert the on-call dispatcher of emergencies not dispatched, or not attended, in time (once per stage)."

    def handle(self, *args, **options):
        alerts = escalate_emergencies()
        for alert in alerts:
            self.stdout.write(f"{alert.reference} {alert.stage}: {alert.message}")
        self.stdout.write(f"{len(alerts)} alert(s) sent.")
