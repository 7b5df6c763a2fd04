// The clerk's drafts from emergency referrals: an emergency grant that
// refers the person on for dibao or tekun makes intake open a draft
// application (what the referral said: the person, the place, the payee,
// the category). Listed with intake's GET /applications?status=draft
// within the clerk's jurisdiction, paged; "open" takes the draft to the
// application form prefilled (#/apply/<id>, apply.mjs), which completes
// it with POST /applications/<id>/submit.
import { html } from './html.mjs';
import { addWords, t } from './i18n.mjs';
import { usePaged } from './paged.mjs';
import { ErrorNote } from './problems.mjs';

addWords({
  c2_drafts: ['应急转介待补录', 'Referred drafts'],
  c2_drafts_intro: ['临时救助后转介申请低保或特困供养的人员，转介信息已生成待补录的申请。请联系申请人补全材料后提交。', 'People an emergency grant referred on for dibao or tekun: each referral opened a draft. Complete it with the applicant and submit it.'],
  c2_referred_on: ['转介日期', 'Referred on'],
  c2_village: ['村（社区）', 'Village'],
  c2_open_draft: ['补录', 'Complete'],
  c2_no_drafts: ['暂无待补录的转介申请。', 'No referred drafts.'],
});

// The date part of an ISO date-time.
const day = (s) => (s || '').slice(0, 10);

export function DraftsScreen() {
  const { items, next, err, more } = usePaged('intake', 'applications', { status: 'draft' });
  return html`
    <section>
      <h1>${t('c2_drafts')}</h1>
      <p class="note">${t('c2_drafts_intro')}</p>
      <${ErrorNote} err=${err} />
      ${items === null && !err && html`<p>${t('loading')}</p>`}
      ${items && items.length === 0 && html`<p id="no-drafts">${t('c2_no_drafts')}</p>`}
      ${items && items.length > 0 && html`
        <table class="list" id="drafts">
          <thead><tr><th scope="col">${t('applicant')}</th><th scope="col">${t('id_number')}</th><th scope="col">${t('c2_village')}</th><th scope="col">${t('requested_category')}</th><th scope="col">${t('c2_referred_on')}</th><th scope="col"><span class="sr">${t('c2_open_draft')}</span></th></tr></thead>
          <tbody>
            ${items.map((a) => {
              const m = (a.members && a.members[0]) || {};
              return html`
              <tr>
                <td data-label=${t('applicant')}>${m.name || ''}</td>
                <td data-label=${t('id_number')}><code>${m.id_number || ''}</code></td>
                <td data-label=${t('c2_village')}>${(a.household && a.household.village_code) || ''}</td>
                <td data-label=${t('requested_category')}>${a.requested_category ? t(a.requested_category) : ''}</td>
                <td data-label=${t('c2_referred_on')}>${day(a.created_at)}</td>
                <td><a class="button" href=${`#/apply/${encodeURIComponent(a.application_id)}`} aria-label=${`${t('c2_open_draft')} ${m.name || ''}`}>${t('c2_open_draft')}</a></td>
              </tr>`;
            })}
          </tbody>
        </table>`}
      ${next && html`<button type="button" onClick=${more}>${t('more')}</button>`}
    </section>`;
}
