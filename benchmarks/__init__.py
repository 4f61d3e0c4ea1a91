"""The side-by-side benchmark: micrograd, micrograd_like and plain floats on one workload."""
