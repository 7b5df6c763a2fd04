-- Low-income households (低收入, issue 9) are payees of the price subsidy
-- only: kept with their members, category and account, paid no benefit.

-- A payee's fund is the benefit fund it is or was last paid from; ''
-- for a household that has never had one (low-income only). A change to
-- low_income keeps the fund, so that the months it paid can still be
-- corrected.
ALTER TABLE payee DROP CONSTRAINT IF EXISTS payee_fund_check;
ALTER TABLE payee ADD CONSTRAINT payee_fund_check CHECK (fund IN ('',
	'dibao', 'tekun'));

-- Each month's category (sn.assist.v1.Category: 1 tekun, 2 dibao,
-- 4 low_income), so that a category change moves a household between a
-- benefit and the subsidy alone from its first month. The price subsidy
-- goes to the payees whose month's category the month's subsidy lists.
ALTER TABLE payee_month ADD COLUMN category integer NOT NULL DEFAULT 0;
UPDATE payee_month pm SET category = CASE p.fund WHEN 'tekun' THEN 1
	WHEN 'dibao' THEN 2 ELSE 0 END
FROM payee p WHERE p.id = pm.payee_id;

-- A price subsidy line says for which category and how many persons it
-- pays ('' and 0 for every other payment).
ALTER TABLE payment ADD COLUMN category text NOT NULL DEFAULT ''
	CHECK (category IN ('', 'tekun', 'dibao', 'low_income'));
ALTER TABLE payment ADD COLUMN persons integer NOT NULL DEFAULT 0
	CHECK (persons >= 0);
UPDATE payment m SET category = p.fund FROM payee p
WHERE m.fund = 'price_subsidy' AND p.id = m.payee_id;

-- The plan counts the subsidy lines per category, and their persons.
ALTER TABLE run_plan ADD COLUMN category text NOT NULL DEFAULT '';
ALTER TABLE run_plan ADD COLUMN persons bigint NOT NULL DEFAULT 0;
ALTER TABLE run_plan DROP CONSTRAINT run_plan_pkey;
ALTER TABLE run_plan ADD PRIMARY KEY (run_id, fund, township_code, category);
