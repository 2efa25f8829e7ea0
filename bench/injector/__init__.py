"""The injector benchmark: deliveries/s and per-delivery latency beside the raw client's floor."""
