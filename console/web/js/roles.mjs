// What each role reaches (issue 17): its navigation (hash route and word
// key, in order) and the screens it may open. A screen is named by its
// route's first segment (#/case for #/case/<id>); the rest of the route
// reaches the screen as `params`. A screen a role does not list is not
// rendered for it: the services still refuse what the token does not
// allow, this only keeps the shell tidy.
//
// Each group of screens lives in its own module, which also adds its
// words (i18n.mjs addWords); this file only wires them to roles.
import { ApplyScreen } from './apply.mjs';
import { CaseScreen, QueueScreen, ReviewsScreen } from './cases.mjs';
import { ChangesScreen } from './changes.mjs';
import { DraftsScreen } from './drafts.mjs';
import { MineScreen } from './mine.mjs';
import { NoticeScreen } from './notice.mjs';
import { VisitReportScreen, VisitsScreen } from './visits.mjs';
import { FiguresScreen } from './figures.mjs';
import { AlertScreen, AlertsScreen, AuditScreen, ChainScreen, GrievancesScreen } from './supervise.mjs';
import { PolicyScreen, UserScreen, UsersScreen } from './admin.mjs';
import { ChainScreen as PersonChainScreen, FundsScreen, GrantScreen, GrantsScreen, LedgerScreen } from './emergency.mjs';
import { BudgetsScreen, ReconScreen, RejectedScreen, RunScreen, RunsScreen } from './finance.mjs';

export const SCREENS = {
  '#/apply': ApplyScreen,
  '#/mine': MineScreen,
  '#/drafts': DraftsScreen,
  '#/changes': ChangesScreen,
  '#/notice': NoticeScreen,
  '#/visits': VisitsScreen,
  '#/visit': VisitReportScreen,
  '#/queue': QueueScreen,
  '#/case': CaseScreen,
  '#/reviews': ReviewsScreen,
  '#/figures': FiguresScreen,
  '#/alerts': AlertsScreen,
  '#/alert': AlertScreen,
  '#/audit': AuditScreen,
  '#/household-chain': ChainScreen,
  '#/grievances': GrievancesScreen,
  '#/users': UsersScreen,
  '#/user': UserScreen,
  '#/policy': PolicyScreen,
  // Money.
  '#/grant': GrantScreen,
  '#/funds': FundsScreen,
  '#/fund': LedgerScreen,
  '#/chain': PersonChainScreen,
  '#/grants': GrantsScreen,
  '#/budgets': BudgetsScreen,
  '#/runs': RunsScreen,
  '#/run': RunScreen,
  '#/recon': ReconScreen,
  '#/payments': RejectedScreen,
};

// The supervisor's and the inspector's screens (supervision reads the
// same for both; only a supervisor may assign or anchor, which these
// screens do not offer).
const OVERSIGHT_NAV = [['#/figures', 'ov_figures'], ['#/alerts', 'ov_alerts'], ['#/audit', 'ov_audit'], ['#/household-chain', 'ov_chain'], ['#/grievances', 'ov_grievances']];

export const ROLES = {
  clerk: {
    nav: [['#/apply', 'new_application'], ['#/drafts', 'c2_drafts'], ['#/mine', 'my_applications'], ['#/changes', 'c2_changes']],
    screens: ['#/notice'],
  },

  // Casework: the visit and the three decisions.
  investigator: { nav: [['#/visits', 'vis_title']], screens: ['#/visit'] },

  village_reviewer: { nav: [['#/queue', 'cw_queue'], ['#/reviews', 'cw_reviews']], screens: ['#/case', '#/notice'] },

  township_officer: { nav: [['#/queue', 'cw_queue'], ['#/reviews', 'cw_reviews']], screens: ['#/case', '#/notice'] },

  district_officer: { nav: [['#/queue', 'cw_queue'], ['#/reviews', 'cw_reviews'], ['#/grants', 'em_grants']], screens: ['#/case', '#/notice'] },

  // Money: emergency grants, budgets, payment runs.
  emergency_officer: {
    nav: [['#/grant', 'em_grant'], ['#/grants', 'em_grants'], ['#/funds', 'em_funds'], ['#/chain', 'em_chain']],
    screens: ['#/fund'],
  },

  finance: {
    nav: [['#/budgets', 'fi_budgets'], ['#/runs', 'fi_runs'], ['#/recon', 'fi_recon'], ['#/payments', 'fi_rejected'], ['#/funds', 'em_funds']],
    screens: ['#/run', '#/fund'],
  },

  finance_approver: {
    nav: [['#/runs', 'fi_runs'], ['#/budgets', 'fi_budgets'], ['#/recon', 'fi_recon'], ['#/payments', 'fi_rejected']],
    screens: ['#/run'],
  },

  // Oversight: figures, audit, users, policy.
  supervisor: { nav: OVERSIGHT_NAV, screens: ['#/alert'] },

  inspector: { nav: OVERSIGHT_NAV, screens: ['#/alert'] },

  district_admin: { nav: [['#/users', 'ov_users'], ['#/policy', 'ov_policy']], screens: ['#/user'] },
};

// The screen component for a route and role, with the route's
// parameters, or null (the home page).
export function screenFor(role, route) {
  const parts = route.split('/');
  const name = parts.slice(0, 2).join('/');
  const r = ROLES[role];
  if (!r || !SCREENS[name]) return null;
  const allowed = r.nav.some(([href]) => href === name) || r.screens.includes(name);
  return allowed ? { Screen: SCREENS[name], params: parts.slice(2).map(decodeURIComponent) } : null;
}

export function navFor(role) {
  return (ROLES[role] && ROLES[role].nav) || [];
}
