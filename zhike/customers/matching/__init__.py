"""Identity resolution: blocking, field comparisons and Fellegi–Sunter scoring."""
