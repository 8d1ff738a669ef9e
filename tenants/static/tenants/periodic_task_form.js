// django-celery-beat's periodic task form: shows a crontab's schedule in words. Its inline
// script, as a file (see tenants/templates/admin/djcelery/change_periodictask_form.html).
'use strict';
{
  const $ = django.jQuery;
  const readableCrontabs = JSON.parse(document.getElementById('readable-crontabs').textContent);
  const originalCrontabHelp = document.getElementById('periodic-task-overrides').dataset.crontabHelp;

  const updateCrontabHelp = function (additional) {
    $('.field-crontab .help').html(`${originalCrontabHelp}<br/>Translation: ${additional}`);
  };

  $('.field-crontab_translation').hide();
  $('.field-crontab').change(function () {
    updateCrontabHelp(readableCrontabs[$('#id_crontab').val()]);
  });
}
