"""Protein dynamics from a structure: elastic network modes, learned flexibility, ensembles."""
