"""Function Compute entry points, one folder per trigger."""
