"""Function Compute entry points, one file per trigger. `make package` copies them to the package root,
where FC's documented `file.function` handler form finds them (`on_share_event.handler`)."""
