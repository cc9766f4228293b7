"""What the repairs area adds to other areas' pages: a room's recent tickets for the
people who work on them, and an asset's tickets with its cost of ownership."""

from __future__ import annotations

from flask import render_template
from markupsafe import Markup

from schoolhq.core.permissions import can
from schoolhq.repairs import services


def room_panel(location, account) -> Markup:
    if not (can(account, "repairs.manage", location) or can(account, "repairs.work", location)):
        return Markup("")
    tickets = services.at_location(location.id)
    if not tickets:
        return Markup("")
    return Markup(render_template("repairs/_room_panel.html", tickets=tickets, ticket_status=services.status_label,
                                  may_open_ticket=lambda ticket: services.may_open(account, ticket)))


def asset_panel(asset, account) -> Markup:
    tickets = services.for_asset(asset.id)
    if not tickets:
        return Markup("")
    repair_cost = sum(t.outside_cost_fen + t.parts_cost_fen for t in tickets)
    return Markup(render_template("repairs/_asset_panel.html", asset=asset, tickets=tickets,
                                  repair_cost=repair_cost, ownership_cost=asset.amount_fen + repair_cost,
                                  ticket_status=services.status_label,
                                  may_open_ticket=lambda ticket: services.may_open(account, ticket)))
