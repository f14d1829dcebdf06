"""Chinese-aware retrieval: segmentation, incremental BM25, learned synonyms and re-ranking."""
