"""Domain applications built on the zoo. Research demos: none of them is a product."""
