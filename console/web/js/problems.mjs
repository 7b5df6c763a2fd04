// The API's problem codes ({"error": {"code", "message", "field"}}) in
// words a clerk understands. One table: add a code here, nowhere else.
// A code not in the table shows the generic text with the service's own
// message beside it, never the bare code alone.
import { html } from './html.mjs';
import { getLang, t } from './i18n.mjs';

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
  wrong_stage: ['该案件已不在这一办理阶段（可能已有他人办理），请刷新后查看。', 'The case is no longer at this stage (someone may have acted); reload it.'],
  reason_required: ['请填写理由：退回、不予批准或改变类别时必须说明理由。', 'Give a reason: returning, refusing or changing the category needs one.'],
  not_eligible: ['系统核算不符合任何保障类别，不能直接批准；请选择类别并按特殊情况说明理由。', 'The rules give no category: choose one and give the override\u2019s reason.'],
  discrepancies_not_seen: ['本案申报与部门核查结果不一致，请先阅读并勾选确认。', 'The declaration and the agencies differ: read the differences and tick to confirm first.'],
  invalid_override_reason: ['请从列表中选择特殊情况批准的理由。', 'Choose the override\u2019s reason from the list.'],
  override_note_required: ['特殊情况批准须填写说明。', 'An override needs a note.'],
  not_under_review: ['只有乡镇特殊情况批准的案件才能由区县退回或不予批准。', 'Only a township\u2019s override may be returned or refused by the district.'],
  cannot_review: ['复核所需的核查或调查结果不全，暂不能办理。', 'The review lacks the checks or visit it needs; it cannot be decided yet.'],
  already_acted: ['您已在本案的前一环节办理过，同一人不能办理两个环节。', 'You acted at an earlier step of this case: one person may not act twice.'],
  took_in_application: ['本案由您受理，受理人不能审核自己受理的案件。', 'You took this application in: you may not decide it.'],
  visited_home: ['您参加了本案的入户调查，调查人员不能审核本案。', 'You made this case\u2019s home visit: you may not decide it.'],
  household_member: ['您是该申请家庭的成员，须回避。', 'You belong to this household: you must stand aside.'],
  check_not_held: ['该核查没有暂停，无需重新核查。', 'The check is not held: there is nothing to ask again.'],
  code_required: ['请输入村（社区）或乡镇代码（二者选一）。', 'Enter a village or a township code (one of them).'],
  invalid_status: ['任务状态不正确。', 'The task status is not valid.'],
  task_closed: ['该任务已有调查报告，不能重复提交。', 'This task already has its report.'],
  task_cancelled: ['申请已撤回，该调查任务已取消。', 'The application was withdrawn: the task is cancelled.'],
  task_not_open: ['该调查任务不在待调查状态。', 'This task is not open.'],
  two_investigators_required: ['入户调查须由两名调查人员共同完成并报告。', 'A home visit is made and reported by two investigators.'],
  invalid_user_id: ['同行调查员的用户名格式不正确。', 'The colleague\u2019s user name is not valid.'],
  same_investigator: ['两名调查人员须为不同的人。', 'The two investigators must be different people.'],
  same_investigator_id_number: ['两名调查人员的身份证号码相同，须为不同的人。', 'The two identity numbers are the same: they must be two people.'],
  caller_not_investigator: ['报告须由参加调查的人员之一提交。', 'One of the two investigators must submit the report.'],
  id_number_mismatch: ['您填写的本人身份证号码与账号登记的不一致。', 'The identity number given for you is not your account\u2019s.'],
  investigator_is_applicant: ['调查人员不能是申请人本人。', 'An investigator may not be the applicant.'],
  investigator_is_household_member: ['调查人员不能是申请家庭的成员。', 'An investigator may not belong to the household.'],
  visit_date_in_future: ['调查日期不能晚于今天。', 'The visit date may not be after today.'],
  visit_date_before_application: ['调查日期不能早于受理日期。', 'The visit date may not be before the application was taken in.'],
  unknown_member: ['报告中有不属于该家庭的成员。', 'The report names someone outside the household.'],
  member_missing: ['每位家庭成员都须说明是否在场。', 'Say for every member whether they were present.'],
  text_required: ['请填写生活状况和住房状况。', 'Describe the living conditions and the housing.'],
  invalid_recommendation: ['请选择调查意见。', 'Choose a recommendation.'],
  required: ['有必填项未填写。', 'A required field is missing.'],
  too_many: ['填写的条目过多。', 'Too many entries.'],
  idempotency_key_reused: ['本次提交与之前的提交冲突，请刷新页面后重新填写。', 'This submission clashes with an earlier one; reload and fill it in again.'],
  invalid_query: ['查询条件不正确。', 'The search is not valid.'],
  invalid_type: ['填写的内容类型不正确。', 'A value has the wrong type.'],
  unknown_field: ['提交了系统不认识的项目。', 'The submission holds a field the system does not know.'],
  out_of_range: ['填写的数值超出允许范围。', 'A value is out of range.'],

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
  invalid_kind: ['类别或类型不正确。', 'The kind is not valid.'],
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

  // Oversight (supervision, identity's administration, services).

  // The clerk's drafts, change reports and notices (intake, approval).
  not_draft: ['该申请已不是待补录状态（已提交、已撤回或已处理）。', 'The application is no longer a draft (submitted, withdrawn or decided).'],
  referred_person_missing: ['转介时指定的人员必须保留在家庭成员中。', 'The person the referral names must stay among the members.'],
  not_for_kind: ['填写了与该变化类型无关的内容。', 'Something was filled in that this kind of change does not take.'],
  future_date: ['变化发生日期不能晚于今天。', 'The date of the change cannot be after today.'],
  not_a_member: ['该人员不是本户成员。', 'That person is not a member of the household.'],
  note_required: ['请填写核查说明。', 'Write what was found.'],
  alert_closed: ['该预警已关闭。', 'The alert is already closed.'],
  unknown_assignee: ['被指派人不是在岗的监督员或纪检监察员。', 'The assignee is not an active supervisor or inspector.'],
  verify_running: ['审计链正在校验中，请稍后再试。', 'A verification is running; try again shortly.'],
  invalid_username: ['用户名只能由字母、数字和 . _ @ - 组成，最长 63 个字符。', 'User names are letters, digits and . _ @ -, at most 63.'],
  invalid_role: ['岗位不正确。', 'The role is not valid.'],
  invalid_jurisdiction: ['管辖区域代码须为 6、9 或 12 位数字。', 'The jurisdiction is 6, 9 or 12 digits.'],
  invalid_unit: ['所属单位代码不正确。', 'The unit code is not valid.'],
  unit_required: ['部门或合作机构账号须填写所属单位。', 'A department or partner account needs its unit.'],
  unexpected_id_number: ['服务账号不填写身份证号码。', 'A service account takes no identity number.'],
  weak_password: ['密码太弱：至少 12 个字符，不能与用户名相同，不能是同一字符重复。', 'The password is too weak: 12 characters or more, not the user name, not one character repeated.'],
  invalid_password: ['密码不符合要求。', 'The password is not allowed.'],
  user_exists: ['该用户名或身份证号码已有账号。', 'That user name or identity number has an account already.'],
  cannot_change_own_role: ['不能修改自己的岗位。', 'You cannot change your own role.'],
  account_disabled: ['该账号已停用，请联系系统管理员。', 'This account is disabled; ask the district administrator.'],
  cannot_disable_self: ['不能停用自己的账号。', 'You cannot disable your own account.'],
  empty_patch: ['没有需要保存的修改。', 'There is nothing to change.'],
  month_decided: ['该月份已录入不同的指数，不能更改。', 'That month holds other indices already.'],
  policy_in_force: ['新版本须在明天或以后生效，不能改变正在执行的标准。', 'A new version must start after today.'],
  version_exists: ['该版本号已存在，请换一个版本号。', 'That version name exists already; choose another.'],
  date_taken: ['该生效日期已有一个版本。', 'A version already starts on that date.'],
  ratio_rises: ['城乡低保标准比将高于上一版本；如确需新增，请勾选并写明理由。', 'The urban/rural ratio would rise above the previous version; tick the box and give the reason to add it anyway.'],
  invalid_body: ['提交的内容格式不正确。', 'The submission is malformed.'],
};

const GENERIC = ['操作未能完成。', 'The action could not be done.'];

// The text for a problem {code, message, field} in lang ('zh' or 'en').
export function problemText(p, lang) {
  const i = lang === 'en' ? 1 : 0;
  const row = PROBLEMS[p && p.code];
  if (row) return row[i];
  return `${GENERIC[i]}${p && p.message ? `（${p.message}）` : ''}`;
}

// A refusal in words, with the field it names; fix_errors (and own, a
// screen's other code of its form's own check) in the console's words.
// Nothing without a refusal.
export function ErrorNote({ err, id, own }) {
  if (!err) return null;
  if (err.code === 'fix_errors' || (own && err.code === own)) return html`<p class="error" role="alert" id=${id}>${t(err.code)}</p>`;
  return html`<p class="error" role="alert" id=${id}>${problemText(err, getLang())}${err.field ? html` <code>${err.field}</code>` : ''}</p>`;
}
