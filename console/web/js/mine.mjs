// The clerk's "my applications": intake's GET /applications?taken_in_by=me,
// paged, newest page first as intake gives them. A decided application
// links to its decision notice (notice.mjs).
import { html } from './html.mjs';
import { t } from './i18n.mjs';
import { noticeHref } from './notice.mjs';
import { usePaged } from './paged.mjs';
import { ErrorNote } from './problems.mjs';

export function MineScreen() {
  const { items, next, err, more } = usePaged('intake', 'applications', { taken_in_by: 'me' });
  return html`
    <section>
      <div class="bar"><h1>${t('my_applications')}</h1><button type="button" class="noprint" onClick=${() => print()}>${t('print')}</button></div>
      <${ErrorNote} err=${err} />
      ${items === null && !err && html`<p>${t('loading')}</p>`}
      ${items && items.length === 0 && html`<p>${t('empty_list')}</p>`}
      ${items && items.length > 0 && html`
        <table class="list">
          <thead><tr><th scope="col">${t('application_id')}</th><th scope="col">${t('applicant')}</th><th scope="col">${t('accepted_date')}</th><th scope="col">${t('deadline_date')}</th><th scope="col">${t('status')}</th></tr></thead>
          <tbody>
            ${items.map((a) => html`
              <tr>
                <td data-label=${t('application_id')}><code>${a.application_id.slice(0, 8)}</code></td>
                <td data-label=${t('applicant')}>${(a.members && a.members[0] && a.members[0].name) || ''}</td>
                <td data-label=${t('accepted_date')}>${a.accepted_date || ''}</td>
                <td data-label=${t('deadline_date')}>${a.deadline_date || ''}</td>
                <td data-label=${t('status')}><span class=${`status st-${a.status}`}>${t('st_' + a.status)}</span>${a.decision && html` <a class="notice-link" href=${noticeHref(a.application_id)} aria-label=${`${t('c2_notice')} ${a.application_id.slice(0, 8)}`}>${t('c2_notice')}</a>`}</td>
              </tr>`)}
          </tbody>
        </table>`}
      ${next && html`<button type="button" class="noprint" onClick=${more}>${t('more')}</button>`}
    </section>`;
}
