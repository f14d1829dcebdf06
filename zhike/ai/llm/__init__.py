"""The LLM gateway: every language-model call goes through it, routed by sensitivity."""
