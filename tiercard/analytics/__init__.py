"""The read side of the dashboard: figures over the viewer's customers, by month.

Selectors only (and one audit service for exports); no models. Every figure starts from
``tiercard.customers.selectors.visible_customers``: a sales rep's dashboard covers their own
customers, a manager's their team, an administrator's everyone.
"""
