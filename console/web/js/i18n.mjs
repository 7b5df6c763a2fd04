// The console's words: Simplified Chinese first, English as the switch.
// t(key) in the current language; the choice is kept in localStorage.
const WORDS = {
  title: ['社会救助工作台', 'Social assistance console'],
  login: ['登录', 'Log in'],
  logout: ['退出', 'Log out'],
  username: ['用户名', 'User name'],
  password: ['密码', 'Password'],
  language: ['English', '中文'],
  language_label: ['切换到英文', 'Switch to Chinese'],
  home: ['首页', 'Home'],
  new_application: ['受理申请', 'New application'],
  my_applications: ['我受理的申请', 'My applications'],
  welcome: ['您好，', 'Hello, '],
  role: ['岗位', 'Role'],
  jurisdiction: ['管辖区域', 'Jurisdiction'],
  not_yet: ['该岗位在工作台中没有工作页面（通过接口办理业务）。', 'This role has no screens in the console (it works through the APIs).'],
  household: ['家庭情况', 'Household'],
  registration: ['户籍类型', 'Registration'],
  urban: ['城镇', 'Urban'],
  rural: ['农村', 'Rural'],
  district_code: ['区县代码', 'District code'],
  township_code: ['乡镇（街道）代码', 'Township code'],
  village_code: ['村（社区）代码', 'Village code'],
  address: ['家庭住址', 'Address'],
  has_able_supporter: ['有具备赡养能力的赡养人', 'Has an able supporter'],
  members: ['家庭成员', 'Members'],
  member_n: ['成员', 'Member'],
  add_member: ['添加成员', 'Add a member'],
  remove_member: ['删除该成员', 'Remove this member'],
  id_number: ['身份证号码', 'Identity number'],
  name: ['姓名', 'Name'],
  relation: ['与申请人关系', 'Relation'],
  self: ['本人', 'Self'],
  spouse: ['配偶', 'Spouse'],
  child: ['子女', 'Child'],
  parent: ['父母', 'Parent'],
  other: ['其他', 'Other'],
  birth_date: ['出生日期', 'Birth date'],
  labour_capacity: ['劳动能力', 'Labour capacity'],
  full: ['完全', 'Full'],
  partial: ['部分', 'Partial'],
  none: ['无', 'None'],
  disability_grade: ['残疾等级（0 为无）', 'Disability grade (0: none)'],
  self_care: ['生活自理能力', 'Self-care'],
  able: ['能自理', 'Able'],
  partially_able: ['部分自理', 'Partially able'],
  unable: ['不能自理', 'Unable'],
  idn_empty: ['请输入 18 位身份证号码', 'Enter the 18-character number'],
  idn_partial: ['已输入 {n} 位，共 18 位', '{n} of 18 characters'],
  idn_bad_chars: ['只能包含数字，最后一位可为 X', 'Digits only; the last may be X'],
  idn_bad_date: ['号码中的出生日期无效', 'The birth date inside is not a date'],
  idn_bad_check: ['校验位不正确，请核对号码', 'The check character is wrong'],
  idn_ok: ['号码校验通过', 'The number checks out'],
  income: ['申报月收入（元）', 'Declared monthly income (yuan)'],
  wages_fen: ['工资性收入', 'Wages'],
  business_fen: ['经营性收入', 'Business'],
  pensions_fen: ['养老金等', 'Pensions'],
  other_fen: ['其他收入', 'Other'],
  agricultural_fen: ['农业收入', 'Agricultural'],
  support_fen: ['赡养费等', 'Support from relatives'],
  expenditure: ['刚性支出（元/月）', 'Rigid expenditure (yuan a month)'],
  medical_fen: ['医疗', 'Medical'],
  education_fen: ['教育', 'Education'],
  housing_fen: ['住房', 'Housing'],
  employment_costs_fen: ['就业成本', 'Employment costs'],
  payee: ['收款账户', 'Payee account'],
  bank_code: ['开户银行代码', 'Bank code'],
  account_number: ['银行账号', 'Account number'],
  account_name: ['户名', 'Account name'],
  consent: ['授权核查', 'Consent'],
  consent_given: ['申请人已签署授权书，同意核查家庭经济状况', 'The applicant signed the consent to the economic checks'],
  consent_reference: ['授权书编号', 'Consent reference'],
  signed_date: ['签署日期', 'Signed on'],
  requested_category: ['申请类别', 'Category asked for'],
  cat_none: ['由审核确定', 'Let the review decide'],
  dibao: ['最低生活保障', 'Minimum living allowance'],
  tekun: ['特困人员供养', 'Extreme poverty support'],
  expenditure_cat: ['支出型困难', 'Expenditure hardship'],
  low_income: ['低收入家庭', 'Low-income household'],
  submit: ['提交申请', 'Submit the application'],
  submitting: ['正在提交…', 'Submitting…'],
  submitted: ['申请已受理。受理编号 {id}，办结期限 {deadline}。', 'Taken in: application {id}, to be decided by {deadline}.'],
  money_hint: ['以元为单位，最多两位小数', 'In yuan, at most two decimals'],
  invalid_money_input: ['请输入不小于零的金额，最多两位小数', 'Enter zero or more, at most two decimals'],
  missing: ['此项必填', 'Required'],
  invalid_value: ['格式不正确', 'Not valid'],
  fix_errors: ['请先更正标红的项目。', 'Correct the fields marked first.'],
  status: ['状态', 'Status'],
  st_draft: ['待补录', 'Draft'],
  st_open: ['办理中', 'Open'],
  st_returned: ['已退回', 'Returned'],
  st_withdrawn: ['已撤回', 'Withdrawn'],
  st_decided_approved: ['已批准', 'Approved'],
  st_decided_rejected: ['未批准', 'Refused'],
  application_id: ['受理编号', 'Application'],
  applicant: ['申请人', 'Applicant'],
  accepted_date: ['受理日期', 'Taken in'],
  deadline_date: ['办结期限', 'Deadline'],
  empty_list: ['暂无记录。', 'Nothing yet.'],
  more: ['加载更多', 'Load more'],
  loading: ['正在加载…', 'Loading…'],
  print: ['打印', 'Print'],
  main_nav: ['主菜单', 'Main menu'],
  r_clerk: ['受理员', 'Clerk'],
  r_investigator: ['入户调查员', 'Investigator'],
  r_village_reviewer: ['村（居）评议员', 'Village reviewer'],
  r_township_officer: ['乡镇审核员', 'Township officer'],
  r_district_officer: ['区县审批员', 'District officer'],
  r_emergency_officer: ['临时救助经办员', 'Emergency officer'],
  r_finance: ['财务经办', 'Finance'],
  r_finance_approver: ['财务审批', 'Finance approver'],
  r_supervisor: ['监督员', 'Supervisor'],
  r_inspector: ['纪检监察员', 'Inspector'],
  r_district_admin: ['系统管理员', 'District administrator'],
};

let lang = (typeof localStorage !== 'undefined' && localStorage.getItem('lang')) || 'zh';

export function getLang() { return lang; }

// A screen module's own words, {key: [zh, en]}; a key already taken is
// an error (two modules would silently disagree).
export function addWords(words) {
  for (const k of Object.keys(words)) {
    if (k in WORDS) throw new Error(`i18n: the word "${k}" is defined twice`);
    WORDS[k] = words[k];
  }
}

export function setLang(l) {
  lang = l === 'en' ? 'en' : 'zh';
  localStorage.setItem('lang', lang);
  document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN';
  document.title = t('title');
}

// The word for key, with {name} replaced from vars.
export function t(key, vars) {
  const row = WORDS[key];
  let s = row ? row[lang === 'en' ? 1 : 0] : key;
  if (vars) for (const k of Object.keys(vars)) s = s.replace(`{${k}}`, vars[k]);
  return s;
}
