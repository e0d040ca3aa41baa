"""SQL models (staging, intermediate, marts) that `warehouse.transform` builds into analytics."""
