"""Quality alerts: threshold and drift rules from the recipe's `alerts:` list.

`evaluate` checks them after a run (and writes `alerts.json`), `live` while a run goes, `webhook` delivers
a firing alert to a Slack-compatible webhook.
"""
