// The API's problem codes ({"error": {"code", "message", "field"}}) in
// words a clerk understands. One table: add a code here, nowhere else.
// A code not in the table shows the generic text with the service's own
// message beside it, never the bare code alone.
export const PROBLEMS = {
  invalid_credentials: ['用户名或密码不正确。', 'The user name or password is wrong.'],
  locked: ['连续登录失败次数过多，账号已暂时锁定，请 15 分钟后再试。', 'Too many failed logins: the account is locked for 15 minutes.'],
  unauthorized: ['登录已过期，请重新登录。', 'Your session has ended; please log in again.'],
  forbidden: ['您的岗位无权进行此操作。', 'Your role may not do this.'],
  outside_jurisdiction: ['该户不在您的管辖范围内。', 'This household is outside your jurisdiction.'],
  codes_do_not_nest: ['村（社区）、乡镇（街道）、区县代码不相属，请核对。', 'The village, township and district codes do not belong together.'],
  invalid_id_number: ['身份证号码不正确（校验位不符或出生日期无效）。', 'The identity number is not valid (check character or birth date).'],
  birth_date_mismatch: ['出生日期与身份证号码不一致。', 'The birth date does not match the identity number.'],
  duplicate_member: ['同一人在家庭成员中出现了两次。', 'The same person is listed twice.'],
  members_required: ['请至少填写一名家庭成员（申请人）。', 'Enter at least one member (the applicant).'],
  applicant_first: ['第一名成员须为申请人本人（关系：本人）。', 'The first member must be the applicant (relation: self).'],
  consent_required: ['须有申请人签署的授权核查同意书。', 'The signed consent to the checks is required.'],
  invalid_money: ['金额须为不小于零的数，最多两位小数。', 'Amounts must be zero or more, with at most two decimals.'],
  invalid_date: ['日期格式不正确。', 'The date is not valid.'],
  invalid_code: ['行政区划代码格式不正确。', 'The area code is not valid.'],
  invalid_value: ['填写的内容不符合要求。', 'A value is not allowed.'],
  invalid_field: ['填写的内容不符合要求。', 'A field is not valid.'],
  missing_field: ['有必填项未填写。', 'A required field is missing.'],
  too_long: ['填写的内容过长。', 'A value is too long.'],
  invalid_characters: ['填写的内容含有不允许的字符。', 'A value holds characters that are not allowed.'],
  person_in_open_application: ['该成员已在另一份办理中的申请里。', 'A member is already in another open application.'],
  person_in_beneficiary_household: ['该成员已属于在保家庭。', 'A member already belongs to a beneficiary household.'],
  idempotency_key_in_progress: ['同一提交正在处理中，请稍候。', 'The same submission is still being processed.'],
  conflict: ['数据已被他人同时修改，请刷新后重试。', 'Someone changed this at the same time; reload and retry.'],
  unavailable: ['系统暂时无法处理，请稍后重试。', 'The system cannot do this now; retry shortly.'],
  bad_gateway: ['无法连接业务系统，请稍后重试。', 'The service could not be reached; retry shortly.'],
  gateway_timeout: ['业务系统响应超时，请稍后重试。', 'The service did not answer in time; retry shortly.'],
  unknown_service: ['工作台未接入该业务系统。', 'The console does not reach that service.'],
  not_found: ['未找到相关记录。', 'Not found.'],
  body_too_large: ['提交的内容过大。', 'The submission is too large.'],
  network: ['网络连接中断，请检查网络后重试。', 'The network is down; check it and retry.'],

  // Casework (investigation, approval).

  // Money (emergency, disbursement, bank-gateway).
  insufficient_funds: ['备用金余额不足，未发放。请联系财务拨付后再试。', 'The fund\u2019s balance is too low: nothing was granted. Ask finance to allocate.'],
  own_grant: ['不能为本人办理或审批临时救助。', 'You may not grant or approve help for yourself.'],
  same_user: ['审批人不能是制单（或申请）人本人。', 'The approver may not be the one who made it.'],
  approved_a_case: ['您审批过该批次中的案件，不能批准这一批次。', 'You decided a case this run pays: you may not approve it.'],
  not_awaiting_approval: ['该事项已不在待审批状态，请刷新。', 'It no longer awaits approval; reload.'],
  fund_not_configured: ['有资金尚未在银行开设账户，批次未能批准。', 'A fund the run pays has no bank account yet: not approved.'],
  bank_unavailable: ['银行系统暂时无法连接，未做任何更改，请稍后重试。', 'The bank cannot be reached; nothing changed. Retry shortly.'],
  run_exists: ['该月份已有发放批次。', 'That month already has a payment run.'],
  invalid_period: ['发放月份不可用：只能是本月、下月，或尚未完成发放的上月。', 'That month cannot be paid: only this month, next month, or last month before its run completed.'],
  invalid_amount: ['金额不正确（须大于零，不超过上限）。', 'The amount is not valid (above zero, within the maximum).'],
  invalid_fund: ['资金类别不正确。', 'The fund is not valid.'],
  invalid_year: ['年度不正确。', 'The year is not valid.'],
  no_budget: ['该资金本年度尚无预算。', 'No budget for that fund and year.'],
  no_fund: ['该乡镇尚无备用金。', 'That township has no fund.'],
  invalid_cause: ['请选择致困原因。', 'Choose a cause.'],
  invalid_description: ['请填写情况说明（不超过 500 字）。', 'Describe what happened (at most 500 characters).'],
  invalid_household_size: ['家庭人口须在 1 到 20 之间。', 'The household size must be 1 to 20.'],
  invalid_household: ['家庭成员身份证号码有误（重复、包含受助人本人或人数过多）。', 'The household members\u2019 numbers are wrong (repeated, the person, or too many).'],
  invalid_name: ['姓名不正确。', 'The name is not valid.'],
  invalid_payee: ['收款账户不正确（银行代码、8 至 32 位账号、户名）。', 'The payee is not valid (bank code, 8 to 32 digit account, name).'],
  invalid_kind: ['类别不正确。', 'The kind is not valid.'],
  invalid_instalments: ['分期期数不正确。', 'The number of instalments is not valid.'],
  not_rejected: ['该款项未被退回，无需更正。', 'That payment was not rejected.'],
  not_correctable: ['临时救助款项不在此更正：请退回备用金后重新发放。', 'Emergency payments are not corrected here: grant again.'],
  too_many_attempts: ['该款项重发次数已达上限，请联系开户行核实。', 'This payment was sent too often; check with the bank.'],
  nothing_pending: ['没有待复核的账户更正。', 'No account change is waiting to be checked.'],
  name_not_member: ['户名须为该户家庭成员之一的姓名。', 'The account holder must be a member of the household.'],
  invalid_account: ['账户信息不正确。', 'The account is not valid.'],
  date_in_future: ['该日尚未结束，银行还没有对账单。', 'That day is not over: the bank has no statement yet.'],
  already_settled: ['该年度已结算。', 'That year is already settled.'],
  invalid_reason: ['理由不正确（不超过 500 字）。', 'The reason is not valid (at most 500 characters).'],
  referral_exists: ['该救助已做过同一事项的转介。', 'This grant was already referred for that.'],
  department_required: ['转介医疗、住房、教育、就业须填写承接部门。', 'A medical, housing, education or employment referral needs the department.'],
  reason_required: ['不批准须写明理由。', 'A refusal needs a reason.'],

  // Oversight (supervision, identity's administration, services).

  // The clerk's drafts, change reports and notices (intake, approval).
  not_draft: ['该申请已不是待补录状态（已提交、已撤回或已处理）。', 'The application is no longer a draft (submitted, withdrawn or decided).'],
  referred_person_missing: ['转介时指定的人员必须保留在家庭成员中。', 'The person the referral names must stay among the members.'],
  not_for_kind: ['填写了与该变化类型无关的内容。', 'Something was filled in that this kind of change does not take.'],
  future_date: ['变化发生日期不能晚于今天。', 'The date of the change cannot be after today.'],
  not_a_member: ['该人员不是本户成员。', 'That person is not a member of the household.'],
  invalid_query: ['查询条件不正确。', 'The search is not valid.'],
  idempotency_key_reused: ['该提交编号已用于另一份内容，请刷新页面后重新提交。', 'This submission number was used for something else; reload and submit again.'],
};

const GENERIC = ['操作未能完成。', 'The action could not be done.'];

// The text for a problem {code, message, field} in lang ('zh' or 'en').
export function problemText(p, lang) {
  const i = lang === 'en' ? 1 : 0;
  const row = PROBLEMS[p && p.code];
  if (row) return row[i];
  return `${GENERIC[i]}${p && p.message ? `（${p.message}）` : ''}`;
}
