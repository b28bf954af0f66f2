"""Rules of the products that more than one handler applies, apart from the protocols and handlers.

`encryption`: which shares of encrypted images and snapshots ECS and Resource Sharing refuse.
`sharing`: whom a resource share reaches, and how its associations settle.
`access`: what RAM lets a caller do on the data planes (Log Service, Function Compute), and the oracle.
"""
