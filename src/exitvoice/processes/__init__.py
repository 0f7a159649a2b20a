"""Processes of a day (docs/model.md §6–9), in the engine's order: call-up, risk, decisions, routes, abroad."""
