"""sharetrust: converge ECS share roles to what encrypted image and snapshot shares need."""
