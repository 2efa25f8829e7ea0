"""The console's view model: records folded into each call's story. Pure: no Kafka, no HTTP."""
