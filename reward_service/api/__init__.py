"""HTTP layer: routers (one module per endpoint), schemas, dependencies, middleware."""
