"""Processes of a day (MODEL §6-9), in the order the engine calls them: call-up, risk, decisions, routes, abroad."""
