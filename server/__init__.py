"""Front doors: the command line, the gRPC service and its client, and durable state."""
