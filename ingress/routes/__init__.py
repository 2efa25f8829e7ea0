"""The ingress's HTTP routes, one module per endpoint family; each only adapts HTTP to records."""
