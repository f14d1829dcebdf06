"""Knowledge base: articles and FAQ entries with versions, review and publishing."""
