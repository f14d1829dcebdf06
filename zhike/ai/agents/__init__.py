"""Agents: a planner that turns goals into ranked plans and a durable executor that runs them."""
