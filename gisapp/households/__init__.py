"""Households: personal data behind the access rules, five-colour visits, the field page."""
