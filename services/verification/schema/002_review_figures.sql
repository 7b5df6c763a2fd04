-- Issue 9: a review may carry figures (ReviewRequested.declared_income,
-- declared_expenditure: a change report's). has_declaration now says the
-- income was declared (compared against the agencies); has_expenditure
-- says the rigid expenditure was, and D is then deducted at review too
-- instead of being zero. An application declares both.
ALTER TABLE checks ADD COLUMN has_expenditure boolean NOT NULL DEFAULT false;
UPDATE checks SET has_expenditure = has_declaration;
