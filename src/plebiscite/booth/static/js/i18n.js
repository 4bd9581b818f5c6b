// The booth's words in Ukrainian, Russian and English. Static text carries data-i18n="key" in the HTML (its English
// text is the fallback); dynamic text is built with t(key, params). The chosen language is kept in localStorage
// (no cookie is ever needed) and can be set with ?lang=uk|ru|en.

import { PLAIN } from './i18n-plain.js';

export const LANGUAGES = ['uk', 'ru', 'en'];

const M = {
  'app.name': { uk: 'Плебісцит', ru: 'Плебисцит', en: 'Plebiscite' },
  'nav.label': { uk: 'Розділи', ru: 'Разделы', en: 'Sections' },
  'nav.vote': { uk: 'Голосування', ru: 'Голосование', en: 'Vote' },
  'nav.check': { uk: 'Перевірити мій бюлетень', ru: 'Проверить мой бюллетень', en: 'Check my ballot' },
  'nav.results': { uk: 'Результати', ru: 'Результаты', en: 'Results' },
  'lang.label': { uk: 'Мова', ru: 'Язык', en: 'Language' },
  'skip': { uk: 'Перейти до змісту', ru: 'Перейти к содержанию', en: 'Skip to content' },

  'booth.title': { uk: 'Кабіна для голосування', ru: 'Кабина для голосования', en: 'Voting booth' },
  'booth.loading': { uk: 'Завантаження виборів…', ru: 'Загрузка выборов…', en: 'Loading the election…' },
  'booth.not_open': {
    uk: 'Голосування зараз не відкрите. Бюлетень подати неможливо.',
    ru: 'Голосование сейчас не открыто. Подать бюллетень невозможно.',
    en: 'Voting is not open now. No ballot can be cast.',
  },
  'step.credential': { uk: 'Крок 1. Ваш ключ виборця', ru: 'Шаг 1. Ваш ключ избирателя', en: 'Step 1. Your voting credential' },
  'credential.explain': {
    uk: 'Ключ залишається на цьому пристрої: він лише підписує ваш бюлетень і нікуди не надсилається.',
    ru: 'Ключ остаётся на этом устройстве: он только подписывает ваш бюллетень и никуда не отправляется.',
    en: 'Your credential stays on this device: it only signs your ballot and is never sent anywhere.',
  },
  'credential.file': { uk: 'Файл ключа', ru: 'Файл ключа', en: 'Credential file' },
  'credential.or': { uk: 'або', ru: 'или', en: 'or' },
  'credential.code': { uk: 'Код ключа', ru: 'Код ключа', en: 'Credential code' },
  'credential.code_hint': {
    uk: '55 латинських літер і цифр; дефіси та пробіли можна не вводити.',
    ru: '55 латинских букв и цифр; дефисы и пробелы можно не вводить.',
    en: '55 letters and digits; dashes and spaces are optional.',
  },
  'credential.use': { uk: 'Використати цей ключ', ru: 'Использовать этот ключ', en: 'Use this credential' },
  'credential.roll_unknown': {
    uk: 'Список виборців зараз недоступний; сервер перевірить ваш ключ під час подання.',
    ru: 'Список избирателей сейчас недоступен; сервер проверит ваш ключ при подаче.',
    en: 'The voter roll could not be loaded; the server will check your credential when you cast.',
  },
  'credential.empty': {
    uk: 'Виберіть файл ключа або введіть код ключа.',
    ru: 'Выберите файл ключа или введите код ключа.',
    en: 'Choose a credential file or type your credential code.',
  },
  'credential.length': {
    uk: 'Код ключа має містити 55 літер і цифр. Перевірте, чи нічого не пропущено.',
    ru: 'Код ключа должен содержать 55 букв и цифр. Проверьте, не пропущено ли что-нибудь.',
    en: 'A credential code has 55 letters and digits. Check that nothing is missing.',
  },
  'credential.alphabet': {
    uk: 'Код ключа містить символ, якого в ньому бути не може (дозволені A–Z і 2–7).',
    ru: 'Код ключа содержит символ, которого в нём быть не может (допустимы A–Z и 2–7).',
    en: 'The credential code contains a character that cannot be in it (only A–Z and 2–7).',
  },
  'credential.checksum': {
    uk: 'Код ключа введено з помилкою (контрольна сума не збігається). Перевірте кожну групу.',
    ru: 'Код ключа введён с ошибкой (контрольная сумма не совпадает). Проверьте каждую группу.',
    en: 'The credential code has a typing error (its checksum does not match). Check each group.',
  },
  'credential.zero_key': {
    uk: 'Цей код не є ключем виборця (він дає нульовий ключ). Зверніться до того, хто видав вам ключ.',
    ru: 'Этот код не является ключом избирателя (он даёт нулевой ключ). Обратитесь к тому, кто выдал вам ключ.',
    en: 'This code is not a voting credential (it gives the zero key). Ask whoever issued your credential.',
  },
  'credential.file_json': {
    uk: 'Цей файл не є файлом ключа (не JSON).',
    ru: 'Этот файл не является файлом ключа (не JSON).',
    en: 'This file is not a credential file (not JSON).',
  },
  'credential.file_format': {
    uk: 'Цей файл не є файлом ключа виборця.',
    ru: 'Этот файл не является файлом ключа избирателя.',
    en: 'This file is not a voting credential file.',
  },
  'credential.other_election': {
    uk: 'Цей ключ виданий для інших виборів ({detail}).',
    ru: 'Этот ключ выдан для других выборов ({detail}).',
    en: 'This credential is for another election ({detail}).',
  },
  'credential.not_on_roll': {
    uk: 'Цього ключа немає у списку виборців цих виборів. Можливо, він для інших виборів.',
    ru: 'Этого ключа нет в списке избирателей этих выборов. Возможно, он для других выборов.',
    en: 'This credential is not on the voter roll of this election. It may be for another election.',
  },
  'credential.read_failed': { uk: 'Не вдалося прочитати файл.', ru: 'Не удалось прочитать файл.', en: 'The file could not be read.' },

  'step.ballot': { uk: 'Крок 2. Ваш вибір', ru: 'Шаг 2. Ваш выбор', en: 'Step 2. Your choices' },
  'ballot.choose_one': { uk: 'Виберіть один варіант.', ru: 'Выберите один вариант.', en: 'Choose one option.' },
  'ballot.choose_range': {
    uk: 'Виберіть від {lo} до {hi} варіантів.',
    ru: 'Выберите от {lo} до {hi} вариантов.',
    en: 'Choose from {lo} to {hi} options.',
  },
  'ballot.choose_up_to': { uk: 'Виберіть до {hi} варіантів.', ru: 'Выберите до {hi} вариантов.', en: 'Choose up to {hi} options.' },
  'ballot.chosen_count': { uk: 'Вибрано: {n}.', ru: 'Выбрано: {n}.', en: 'Chosen: {n}.' },
  'ballot.encrypt': { uk: 'Зашифрувати мій бюлетень', ru: 'Зашифровать мой бюллетень', en: 'Encrypt my ballot' },
  'ballot.encrypting': { uk: 'Шифрування…', ru: 'Шифрование…', en: 'Encrypting…' },
  'ballot.fix': {
    uk: 'Бюлетень не зашифровано: виправте вибір у позначених питаннях.',
    ru: 'Бюллетень не зашифрован: исправьте выбор в отмеченных вопросах.',
    en: 'Nothing was encrypted: correct your choices in the marked questions.',
  },
  'limits.exactly': { uk: 'Потрібно вибрати рівно {n}.', ru: 'Нужно выбрать ровно {n}.', en: 'Choose exactly {n}.' },
  'limits.between': {
    uk: 'Потрібно вибрати від {lo} до {hi}.',
    ru: 'Нужно выбрать от {lo} до {hi}.',
    en: 'Choose between {lo} and {hi}.',
  },
  'limits.no_blank': { uk: 'Порожній бюлетень тут не дозволено.', ru: 'Пустой бюллетень здесь не разрешён.',
    en: 'A blank answer is not allowed here.' },
  'limits.blank_alone': {
    uk: 'Порожній бюлетень не можна поєднувати з іншими варіантами.',
    ru: 'Пустой бюллетень нельзя сочетать с другими вариантами.',
    en: 'Blank cannot be combined with other options.',
  },
  'limits.unknown': { uk: 'Невідомий варіант.', ru: 'Неизвестный вариант.', en: 'Unknown option.' },
  'limits.twice': { uk: 'Варіант вибрано двічі.', ru: 'Вариант выбран дважды.', en: 'An option is chosen twice.' },

  'step.review': { uk: 'Крок 3. Подати або перевірити', ru: 'Шаг 3. Подать или проверить', en: 'Step 3. Cast or check' },
  'review.code': { uk: 'Код відстеження вашого бюлетеня:', ru: 'Код отслеживания вашего бюллетеня:',
    en: 'Tracking code of your ballot:' },
  'review.cast': { uk: 'Подати бюлетень', ru: 'Подать бюллетень', en: 'Cast my ballot' },
  'review.challenge': { uk: 'Перевірити шифрування (не подавати)', ru: 'Проверить шифрование (не подавать)',
    en: 'Check the encryption (do not cast)' },
  'review.change': { uk: 'Змінити вибір', ru: 'Изменить выбор', en: 'Change my choices' },
  'review.casting': { uk: 'Подання бюлетеня…', ru: 'Подача бюллетеня…', en: 'Casting the ballot…' },
  'review.challenging': { uk: 'Відкриття бюлетеня…', ru: 'Открытие бюллетеня…', en: 'Opening the ballot…' },

  'step.cast': { uk: 'Ваш бюлетень подано', ru: 'Ваш бюллетень подан', en: 'Your ballot is cast' },
  'cast.done': {
    uk: 'Бюлетень записано на дошку під номером {index}. Квитанцію перевірено в цьому браузері.',
    ru: 'Бюллетень записан на доску под номером {index}. Квитанция проверена в этом браузере.',
    en: 'The ballot is on the board as entry {index}. The receipt was checked in this browser.',
  },
  'cast.show_receipt': { uk: 'Показати всю квитанцію', ru: 'Показать всю квитанцию', en: 'Show the whole receipt' },
  'cast.board_entry': { uk: 'Запис на дошці', ru: 'Запись на доске', en: 'Board entry' },
  'cast.signed_head': { uk: 'Підписаний стан дошки', ru: 'Подписанное состояние доски', en: 'Signed board state' },
  'cast.head_text': { uk: '{size} записів, {time}', ru: '{size} записей, {time}', en: '{size} entries, {time}' },
  'cast.board_key': { uk: 'Ключ дошки', ru: 'Ключ доски', en: 'Board key' },
  'cast.download': { uk: 'Завантажити квитанцію', ru: 'Скачать квитанцию', en: 'Download the receipt' },
  'cast.revote': { uk: 'Проголосувати знову', ru: 'Проголосовать снова', en: 'Vote again' },
  'cast.revote_hint': {
    uk: 'Враховується лише останній поданий бюлетень.',
    ru: 'Учитывается только последний поданный бюллетень.',
    en: 'Only your last cast ballot counts.',
  },
  'cast.receipt_bad': {
    uk: 'Сервер прийняв бюлетень, але його квитанція не пройшла перевірку ({detail}). Збережіть квитанцію і повідомте спостерігачів.',
    ru: 'Сервер принял бюллетень, но его квитанция не прошла проверку ({detail}). Сохраните квитанцию и сообщите наблюдателям.',
    en: 'The server accepted the ballot but its receipt did not check out ({detail}). Keep the receipt and tell the observers.',
  },
  'cast.was_challenged': {
    uk: 'Цей бюлетень уже відкрито для перевірки, тому його не можна подати. Зашифруйте вибір знову.',
    ru: 'Этот бюллетень уже открыт для проверки, поэтому его нельзя подать. Зашифруйте выбор снова.',
    en: 'This ballot was opened for checking, so it can never be cast. Encrypt your choices again.',
  },

  'step.challenged': { uk: 'Перевірка шифрування', ru: 'Проверка шифрования', en: 'Encryption check' },
  'challenge.board_saw': {
    uk: 'Дошка відкрила бюлетень {code}… і знайшла в ньому:',
    ru: 'Доска открыла бюллетень {code}… и нашла в нём:',
    en: 'The board opened ballot {code}… and found:',
  },
  'challenge.show_opening': {
    uk: 'Показати відкриття (випадкові числа й значення)',
    ru: 'Показать открытие (случайные числа и значения)',
    en: 'Show the opening (randomness and values)',
  },
  'challenge.download_ballot': { uk: 'Завантажити відкритий бюлетень', ru: 'Скачать открытый бюллетень',
    en: 'Download the opened ballot' },
  'challenge.download_opening': { uk: 'Завантажити відкриття', ru: 'Скачать открытие', en: 'Download the opening' },
  'challenge.restart': { uk: 'Проголосувати знову', ru: 'Проголосовать снова', en: 'Vote again' },
  'challenge.already_cast': {
    uk: 'Цей бюлетень уже подано, тому його не можна відкрити.',
    ru: 'Этот бюллетень уже подан, поэтому его нельзя открыть.',
    en: 'This ballot is already cast, so it cannot be opened.',
  },

  // coercion-resistant elections (docs/booth.md "Coercion-resistant elections")
  'cr.explain': {
    uk: 'Ваш ключ залишається на цьому пристрої й нікуди не надсилається. Кабіна однаково приймає справжній і фальшивий ключ, і ніхто з тих, хто дивиться, не може їх розрізнити; враховуються лише бюлетені, подані зі справжнім ключем.',
    ru: 'Ваш ключ остаётся на этом устройстве и никуда не отправляется. Кабина одинаково принимает настоящий и фальшивый ключ, и никто из тех, кто смотрит, не может их различить; учитываются только бюллетени, поданные с настоящим ключом.',
    en: 'Your credential stays on this device: it is never sent anywhere. This booth accepts a real credential and a fake one alike, and nobody who watches can tell them apart; only ballots cast with your real credential are counted.',
  },
  'cr.file': { uk: 'Файл ключа', ru: 'Файл ключа', en: 'Credential file' },
  'cr.code': { uk: 'Код з вашого аркуша ключа', ru: 'Код с вашего листа ключа', en: 'Code from your credential sheet' },
  'cr.code_hint': {
    uk: '80 латинських літер і цифр; дефіси та пробіли можна не вводити.',
    ru: '80 латинских букв и цифр; дефисы и пробелы можно не вводить.',
    en: '80 letters and digits; dashes and spaces are optional.',
  },
  'cr.qr_image': {
    uk: 'Фото або скан QR-коду з вашого аркуша',
    ru: 'Фото или скан QR-кода с вашего листа',
    en: 'Photo or scan of the QR code on your sheet',
  },
  'cr.camera': { uk: 'Сканувати QR-код камерою', ru: 'Сканировать QR-код камерой', en: 'Scan the QR code with the camera' },
  'cr.camera_stop': { uk: 'Зупинити камеру', ru: 'Остановить камеру', en: 'Stop the camera' },
  'cr.camera_looking': {
    uk: 'Наведіть камеру на QR-код…',
    ru: 'Наведите камеру на QR-код…',
    en: 'Point the camera at the QR code…',
  },
  'cr.camera_failed': {
    uk: 'Камера недоступна. Введіть код або виберіть фото QR-коду.',
    ru: 'Камера недоступна. Введите код или выберите фото QR-кода.',
    en: 'The camera is not available. Type the code or choose a photo of the QR code.',
  },
  'cr.qr_none': {
    uk: 'На цьому зображенні не знайдено QR-коду. Спробуйте чіткіше фото або введіть код.',
    ru: 'На этом изображении не найден QR-код. Попробуйте более чёткое фото или введите код.',
    en: 'No QR code was found in this picture. Try a sharper photo, or type the code.',
  },
  'cr.loading_context': {
    uk: 'Завантаження відкритих даних виборів…',
    ru: 'Загрузка открытых данных выборов…',
    en: 'Loading the election’s public values…',
  },
  'cr.no_context': {
    uk: 'Дошка ще не опублікувала ключ реєстратора, тому ключ не можна перевірити.',
    ru: 'Доска ещё не опубликовала ключ регистратора, поэтому ключ нельзя проверить.',
    en: 'The board has not published the registrar’s key yet, so no credential can be checked.',
  },
  'cr.loaded': {
    uk: 'Ключ прийнято. Зробіть свій вибір.',
    ru: 'Ключ принят. Сделайте свой выбор.',
    en: 'Credential accepted. Make your choices.',
  },
  'cr.standard_file': {
    uk: 'Це файл ключа для звичайних виборів, а ці вибори стійкі до примусу.',
    ru: 'Это файл ключа для обычных выборов, а эти выборы устойчивы к принуждению.',
    en: 'This is a credential file for a standard election; this election is coercion-resistant.',
  },
  'cr.other_values': {
    uk: 'Цей файл ключа зроблено для інших відкритих даних виборів, ніж публікує ця дошка. Не користуйтеся ним.',
    ru: 'Этот файл ключа сделан для других открытых данных выборов, чем публикует эта доска. Не пользуйтесь им.',
    en: 'This credential file was made for other election values than this board publishes. Do not use it.',
  },
  'cr.file_field': {
    uk: 'Файл ключа пошкоджено ({detail}).',
    ru: 'Файл ключа повреждён ({detail}).',
    en: 'The credential file is damaged ({detail}).',
  },
  'cr.proof_bad': {
    uk: 'Доказ у файлі ключа не проходить перевірку: цей ключ недійсний.',
    ru: 'Доказательство в файле ключа не проходит проверку: этот ключ недействителен.',
    en: 'The proof in the credential file does not verify: this credential is not valid.',
  },
  'cr.code_length': {
    uk: 'Код має містити 80 латинських літер і цифр (введено {detail}). Перевірте, чи нічого не пропущено.',
    ru: 'Код должен содержать 80 латинских букв и цифр (введено {detail}). Проверьте, не пропущено ли что-нибудь.',
    en: 'The code has 80 letters and digits ({detail} given). Check that nothing is missing.',
  },
  'cr.code_checksum': {
    uk: 'Код введено з помилкою або він для інших виборів (контрольна сума не збігається). Перевірте кожну групу.',
    ru: 'Код введён с ошибкой или он для других выборов (контрольная сумма не совпадает). Проверьте каждую группу.',
    en: 'The code has a typing error, or is for another election (its checksum does not match). Check each group.',
  },
  'cr.code_element': {
    uk: 'Цей код не є ключем (можливо, помилка введення).',
    ru: 'Этот код не является ключом (возможно, ошибка ввода).',
    en: 'This code is not a credential (a typing error?).',
  },
  'cr.fake_title': { uk: 'Фальшивий ключ', ru: 'Фальшивый ключ', en: 'Fake credential' },
  'cr.fake_explain': {
    uk: 'Якщо хтось вимагає ваш ключ або дивиться, як ви голосуєте, зробіть фальшивий ключ із завантаженого. Він виглядає й працює точно як справжній, його бюлетені отримують такі самі квитанції, але ніколи не враховуються.',
    ru: 'Если кто-то требует ваш ключ или смотрит, как вы голосуете, сделайте фальшивый ключ из загруженного. Он выглядит и работает точно как настоящий, его бюллетени получают такие же квитанции, но никогда не учитываются.',
    en: 'If someone demands your credential or watches you vote, make a fake one from the credential you loaded. It looks and works exactly like a real one and its ballots get the same receipts, but they are never counted.',
  },
  'cr.make_fake': { uk: 'Зробити фальшивий ключ', ru: 'Сделать фальшивый ключ', en: 'Make a fake credential' },
  'cr.fake_made': {
    uk: 'Новий фальшивий ключ готовий. Його можна віддати, показати або проголосувати з ним: ніщо не відрізняє його від справжнього. Тримайте справжній ключ у таємниці.',
    ru: 'Новый фальшивый ключ готов. Его можно отдать, показать или проголосовать с ним: ничто не отличает его от настоящего. Держите настоящий ключ в тайне.',
    en: 'A new fake credential is ready. You may hand it over, show it or vote with it: nothing tells it from your real one. Keep your real credential secret.',
  },
  'cr.fake_download': {
    uk: 'Завантажити файл фальшивого ключа',
    ru: 'Скачать файл фальшивого ключа',
    en: 'Download the fake credential file',
  },
  'cr.fake_print': { uk: 'Надрукувати', ru: 'Распечатать', en: 'Print' },
  'cr.qr_label': { uk: 'QR-код ключа', ru: 'QR-код ключа', en: 'QR code of the credential' },
  'cr.fake_use': {
    uk: 'Проголосувати з цим фальшивим ключем',
    ru: 'Проголосовать с этим фальшивым ключом',
    en: 'Vote with this fake credential',
  },
  'cr.fake_back': { uk: 'Повернутися до бюлетеня', ru: 'Вернуться к бюллетеню', en: 'Back to the ballot' },
  'cr.fake_forget': {
    uk: 'Кабіна нічого з нього не зберігає: залиште сторінку або поверніться — і на цьому пристрої його не буде (крім завантаженого файлу).',
    ru: 'Кабина ничего из него не сохраняет: покиньте страницу или вернитесь — и на этом устройстве его не будет (кроме скачанного файла).',
    en: 'The booth keeps nothing of it: leave this page or go back and it is gone from this device (except a file you downloaded).',
  },
  'cr.no_challenge': {
    uk: 'На цих виборах бюлетень не можна відкрити для перевірки шифрування: дошка це відхиляє, бо відкритий бюлетень показав би будь-кому, як ви проголосували. Подайте його або змініть вибір.',
    ru: 'На этих выборах бюллетень нельзя открыть для проверки шифрования: доска это отклоняет, потому что открытый бюллетень показал бы кому угодно, как вы проголосовали. Подайте его или измените выбор.',
    en: 'In this election a ballot cannot be opened to check its encryption: the board refuses it, because an opened ballot would show anyone how you voted. Cast it, or change your choices.',
  },

  'server.down': {
    uk: 'Сервер не відповідає. Нічого не подано. Перевірте з’єднання і спробуйте ще раз.',
    ru: 'Сервер не отвечает. Ничего не подано. Проверьте соединение и попробуйте ещё раз.',
    en: 'The server does not answer. Nothing was cast. Check your connection and try again.',
  },
  'server.rejected': {
    uk: 'Сервер відхилив запит: {detail}. Нічого не подано.',
    ru: 'Сервер отклонил запрос: {detail}. Ничего не подано.',
    en: 'The server refused: {detail}. Nothing was cast.',
  },
  'server.error': {
    uk: 'Помилка сервера ({status}). Нічого не подано. Спробуйте пізніше.',
    ru: 'Ошибка сервера ({status}). Ничего не подано. Попробуйте позже.',
    en: 'Server error ({status}). Nothing was cast. Try again later.',
  },
  'server.bad_answer': {
    uk: 'Сервер надіслав незрозумілу відповідь.',
    ru: 'Сервер прислал непонятный ответ.',
    en: 'The server sent an answer the booth cannot read.',
  },
  'server.other_election': {
    uk: 'Сервер каже, що бюлетень зроблено для інших виборів. Нічого не подано.',
    ru: 'Сервер сообщает, что бюллетень сделан для других выборов. Ничего не подано.',
    en: 'The server says the ballot was made for another election. Nothing was cast.',
  },

  'check.title': { uk: 'Перевірити мій бюлетень', ru: 'Проверить мой бюллетень', en: 'Check my ballot' },
  'check.explain': {
    uk: 'Вставте або завантажте квитанцію. Браузер перевірить підпис дошки та доказ того, що ваш бюлетень записаний на дошку.',
    ru: 'Вставьте или загрузите квитанцию. Браузер проверит подпись доски и доказательство того, что ваш бюллетень записан на доску.',
    en: 'Paste or load your receipt. The browser checks the board’s signature and the proof that your ballot is on the board.',
  },
  'check.paste': { uk: 'Квитанція (JSON)', ru: 'Квитанция (JSON)', en: 'Receipt (JSON)' },
  'check.file': { uk: 'Файл квитанції', ru: 'Файл квитанции', en: 'Receipt file' },
  'check.run': { uk: 'Перевірити квитанцію', ru: 'Проверить квитанцию', en: 'Check the receipt' },
  'check.live': { uk: 'Перевірити на дошці зараз', ru: 'Проверить на доске сейчас', en: 'Check it against the board now' },
  'check.live_hint': {
    uk: '«Перевірити на дошці зараз» запитує в дошки її останній підписаний стан і доказ того, що після вашої квитанції вона лише додавала записи.',
    ru: '«Проверить на доске сейчас» запрашивает у доски её последнее подписанное состояние и доказательство того, что после вашей квитанции она только добавляла записи.',
    en: '“Check it against the board now” asks the board for its latest signed state and for a proof that it has only added entries since your receipt.',
  },
  'check.lookup': { uk: 'Знайти на дошці', ru: 'Найти на доске', en: 'Look it up on the board' },
  'check.ok_inclusion': {
    uk: 'Доказ включення правильний: бюлетень — запис {index} цього журналу.',
    ru: 'Доказательство включения верно: бюллетень — запись {index} этого журнала.',
    en: 'The inclusion proof is correct: the ballot is entry {index} of this log.',
  },
  'check.ok_latest': {
    uk: 'Останній стан дошки підписаний цим ключем: {size} записів о {time}.',
    ru: 'Последнее состояние доски подписано этим ключом: {size} записей в {time}.',
    en: 'The board’s latest state is signed with that key: {size} entries at {time}.',
  },
  'check.ok_still': {
    uk: 'Ваш бюлетень досі — запис {index} з {size}.',
    ru: 'Ваш бюллетень по-прежнему — запись {index} из {size}.',
    en: 'Your ballot is still entry {index} of {size}.',
  },
  'check.no_receipt': { uk: 'Спочатку вставте або завантажте квитанцію.', ru: 'Сначала вставьте или загрузите квитанцию.',
    en: 'Paste or load a receipt first.' },
  'check.failed': { uk: 'Перевірка НЕ пройдена: {reason}', ru: 'Проверка НЕ пройдена: {reason}', en: 'Check FAILED: {reason}' },
  'receipt.malformed': { uk: 'квитанція пошкоджена ({detail})', ru: 'квитанция повреждена ({detail})',
    en: 'the receipt is malformed ({detail})' },
  'receipt.not_json': { uk: 'це не JSON', ru: 'это не JSON', en: 'it is not JSON' },
  'receipt.not_ballot': { uk: 'запис у квитанції не є бюлетенем', ru: 'запись в квитанции не является бюллетенем',
    en: 'the entry in the receipt is not a ballot' },
  'receipt.code_mismatch': {
    uk: 'код відстеження не відповідає бюлетеню в квитанції',
    ru: 'код отслеживания не соответствует бюллетеню в квитанции',
    en: 'the tracking code does not match the ballot in the receipt',
  },
  'receipt.other_board': { uk: 'заголовок журналу підписаний іншою дошкою', ru: 'заголовок журнала подписан другой доской',
    en: 'the tree head belongs to another board' },
  'receipt.signature': { uk: 'підпис дошки недійсний', ru: 'подпись доски недействительна',
    en: 'the board’s signature is invalid' },
  'receipt.inclusion': { uk: 'доказ включення неправильний ({detail})', ru: 'доказательство включения неверно ({detail})',
    en: 'the inclusion proof is wrong ({detail})' },
  'board.malformed': { uk: 'відповідь дошки пошкоджена ({detail})', ru: 'ответ доски повреждён ({detail})',
    en: 'the board’s answer is malformed ({detail})' },
  'board.consistency': { uk: 'доказ узгодженості неправильний ({detail})', ru: 'доказательство согласованности неверно ({detail})',
    en: 'the consistency proof is wrong ({detail})' },

  'alarm.rewritten': {
    uk: 'УВАГА: дошка переписала свою історію — збережіть квитанцію, вона є доказом.',
    ru: 'ВНИМАНИЕ: доска переписала свою историю — сохраните квитанцию, она является доказательством.',
    en: 'WARNING: the board rewrote its history — keep your receipt, it is evidence.',
  },
  'alarm.missing': {
    uk: 'УВАГА: дошка більше не показує ваш бюлетень там, де він є за квитанцією, — збережіть квитанцію, вона є доказом.',
    ru: 'ВНИМАНИЕ: доска больше не показывает ваш бюллетень там, где он находится по квитанции, — сохраните квитанцию, она является доказательством.',
    en: 'WARNING: the board no longer shows your ballot where your receipt puts it — keep your receipt, it is evidence.',
  },
  'alarm.key_changed': {
    uk: 'УВАГА: дошка тепер використовує інший ключ, ніж той, яким підписано вашу квитанцію, — збережіть квитанцію, вона є доказом.',
    ru: 'ВНИМАНИЕ: доска теперь использует другой ключ, не тот, которым подписана ваша квитанция, — сохраните квитанцию, она является доказательством.',
    en: 'WARNING: the board now uses another key than the one that signed your receipt — keep your receipt, it is evidence.',
  },
  'alarm.unverified': {
    uk: 'УВАГА: відповідь дошки не вдалося перевірити — збережіть квитанцію. Спробуйте ще раз пізніше або з іншої мережі.',
    ru: 'ВНИМАНИЕ: ответ доски не удалось проверить — сохраните квитанцию. Попробуйте ещё раз позже или из другой сети.',
    en: 'WARNING: the board’s answer could not be verified — keep your receipt. Try again later, or from another network.',
  },
  'alarm.report': {
    uk: 'Повідомте організаторів виборів і спостерігачів і передайте їм квитанцію.',
    ru: 'Сообщите организаторам выборов и наблюдателям и передайте им квитанцию.',
    en: 'Tell the election organisers and observers, and give them your receipt.',
  },
  'alarm.evidence': {
    uk: 'Завантажити доказ (обидва підписані стани дошки)',
    ru: 'Скачать доказательство (оба подписанных состояния доски)',
    en: 'Download the evidence (both signed board states)',
  },
  'alarm.evidence_hint': {
    uk: 'Файл містить обидва стани, підписані дошкою, і її доказ: будь-хто з ключем дошки може перевірити, що вони не можуть бути чесними одночасно.',
    ru: 'Файл содержит оба состояния, подписанные доской, и её доказательство: любой, у кого есть ключ доски, может проверить, что они не могут быть честными одновременно.',
    en: 'The file holds both states the board signed and its proof: anyone with the board’s key can check that they cannot both be honest.',
  },
  'history.shrank': {
    uk: 'останній стан дошки має {second} записів — менше, ніж {first}, які вона підписала для вашої квитанції',
    ru: 'последнее состояние доски содержит {second} записей — меньше, чем {first}, подписанные ею для вашей квитанции',
    en: 'the board’s latest state has {second} entries, fewer than the {first} it signed for your receipt',
  },
  'history.fork': {
    uk: 'дошка підписала два різні стани з тими самими {first} записами',
    ru: 'доска подписала два разных состояния с одними и теми же {first} записями',
    en: 'the board signed two different states with the same {first} entries',
  },
  'history.inconsistent': {
    uk: 'доказ дошки не показує, що її {second} записів продовжують {first} записів вашої квитанції: попередні записи могли бути змінені або видалені',
    ru: 'доказательство доски не показывает, что её {second} записей продолжают {first} записей вашей квитанции: прежние записи могли быть изменены или удалены',
    en: 'the board’s proof does not show that its {second} entries extend the {first} entries of your receipt: earlier entries may have been changed or removed',
  },
  'history.missing': {
    uk: 'її відповідь не показує ваш бюлетень як запис {index} з {size}',
    ru: 'её ответ не показывает ваш бюллетень как запись {index} из {size}',
    en: 'its answer does not show your ballot as entry {index} of {size}',
  },
  'history.bad_answer': {
    uk: 'відповідь на {what} відсутня, пошкоджена або не підписана ключем дошки',
    ru: 'ответ на {what} отсутствует, повреждён или не подписан ключом доски',
    en: 'the answer to {what} is missing, malformed or not signed by the board’s key',
  },

  'results.title': { uk: 'Результати', ru: 'Результаты', en: 'Results' },
  'results.not_yet': {
    uk: 'Результат ще не опубліковано.',
    ru: 'Результат ещё не опубликован.',
    en: 'The result has not been published yet.',
  },
  'results.summary': {
    uk: 'Враховано бюлетенів: {ballots}. Розшифрували довірені особи: {trustees}.',
    ru: 'Учтено бюллетеней: {ballots}. Расшифровали доверенные лица: {trustees}.',
    en: 'Ballots counted: {ballots}. Decrypted by trustees: {trustees}.',
  },
  'results.option': { uk: 'Варіант', ru: 'Вариант', en: 'Option' },
  'results.votes': { uk: 'Голоси', ru: 'Голоса', en: 'Votes' },
  'results.share': { uk: 'Частка', ru: 'Доля', en: 'Share' },
  'results.record': {
    uk: 'Завантажити повний запис виборів для незалежної перевірки',
    ru: 'Скачать полную запись выборов для независимой проверки',
    en: 'Download the full election record to verify it yourself',
  },
  'results.verify_hint': {
    uk: 'Перевірка: plebiscite verify record.zip',
    ru: 'Проверка: plebiscite verify record.zip',
    en: 'To verify: plebiscite verify record.zip',
  },
};

Object.assign(M, PLAIN);

let current = 'en';

function initial() {
  const fromUrl = new URLSearchParams(location.search).get('lang');
  if (LANGUAGES.includes(fromUrl)) return fromUrl;
  try {
    const saved = localStorage.getItem('plebiscite.lang');
    if (LANGUAGES.includes(saved)) return saved;
  } catch {
    // storage may be disabled; the default language still works
  }
  const nav = (navigator.language || 'en').slice(0, 2);
  return LANGUAGES.includes(nav) ? nav : 'en';
}

export const language = () => current;

/** The message `key` in the current language with {name} placeholders filled from `params`. */
export function t(key, params = {}) {
  const entry = M[key];
  const text = entry ? entry[current] ?? entry.en : key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in params ? String(params[name]) : `{${name}}`));
}

/** Text of a manifest field ({uk, ru, en}) in the current language. */
export const pick = (text) => (text && (text[current] ?? text.en ?? Object.values(text)[0])) || '';

const listeners = [];
export const onLanguageChange = (fn) => listeners.push(fn);

/** Translate every [data-i18n] element, mark the language switch and tell the page to redraw its dynamic text. */
export function setLanguage(lang, save = true) {
  current = LANGUAGES.includes(lang) ? lang : 'en';
  document.documentElement.lang = current;
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll('[data-i18n-aria]')) el.setAttribute('aria-label', t(el.dataset.i18nAria));
  for (const b of document.querySelectorAll('button[data-lang]')) b.setAttribute('aria-pressed', String(b.dataset.lang === current));
  if (save) {
    try {
      localStorage.setItem('plebiscite.lang', current);
    } catch {
      // not saved: the choice still holds for this page
    }
  }
  for (const fn of listeners) fn(current);
}

export function initLanguage() {
  for (const b of document.querySelectorAll('button[data-lang]')) b.addEventListener('click', () => setLanguage(b.dataset.lang));
  setLanguage(initial(), false);
}

export const hasMessage = (key) => key in M;
