// placeholder until the HTTP transport lands
