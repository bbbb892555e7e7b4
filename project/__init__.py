"""What the project is made of, in one model (`project.model`): apps, stages,
functions as deployed, and the names of the resources around them."""
