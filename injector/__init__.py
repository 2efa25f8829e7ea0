"""The injector service: delivers injections to live calls through the Add Messages API."""
