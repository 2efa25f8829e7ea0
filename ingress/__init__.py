"""The ingress service: FastAPI routes that acknowledge webhooks only once Kafka holds them."""
