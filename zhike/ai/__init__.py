"""AI features: private models, the LLM gateway, retrieval, context and agents."""
