package main

import (
	"fmt"
	"net/url"
	"strings"
)

// updateLeads builds an update_lead delivery of n leads as amoCRM sends it (docs/webhooks.md):
// form-encoded with PHP's nesting, every lead with the documented fields, a tag and five custom
// fields (text, select, date, checkbox, multiselect). PHP's urlencode escapes the brackets, as
// url.QueryEscape does.
func updateLeads(n, account int) []byte {
	var parts []string
	add := func(k, v string) { parts = append(parts, url.QueryEscape(k)+"="+url.QueryEscape(v)) }
	for i := range n {
		p := fmt.Sprintf("leads[update][%d]", i)
		add(p+"[id]", fmt.Sprint(15318175+i))
		add(p+"[name]", fmt.Sprintf("Стеклопакет, заказ %d", 1000+i))
		add(p+"[status_id]", "67548619")
		add(p+"[old_status_id]", "67548607")
		add(p+"[price]", "125000")
		add(p+"[responsible_user_id]", "11087123")
		add(p+"[last_modified]", "1726572758")
		add(p+"[modified_user_id]", "11087123")
		add(p+"[created_user_id]", "11087123")
		add(p+"[date_create]", "1726572752")
		add(p+"[pipeline_id]", "8572511")
		add(p+"[account_id]", fmt.Sprint(account))
		add(p+"[tags][0][id]", "80147")
		add(p+"[tags][0][name]", "repeat")
		add(p+"[custom_fields][0][id]", "1246483")
		add(p+"[custom_fields][0][name]", "Адрес доставки")
		add(p+"[custom_fields][0][values][0][value]", "Москва, ул. Стекольная, 1")
		add(p+"[custom_fields][1][id]", "1246489")
		add(p+"[custom_fields][1][name]", "Тип стекла")
		add(p+"[custom_fields][1][values][0][value]", "Закалённое")
		add(p+"[custom_fields][1][values][0][enum]", "908107")
		add(p+"[custom_fields][2][id]", "1246491")
		add(p+"[custom_fields][2][name]", "Дата монтажа")
		add(p+"[custom_fields][2][values][0]", "1725915600")
		add(p+"[custom_fields][3][id]", "1246493")
		add(p+"[custom_fields][3][name]", "Замер сделан")
		add(p+"[custom_fields][3][values][0]", "1")
		add(p+"[custom_fields][4][id]", "1246495")
		add(p+"[custom_fields][4][name]", "Опции")
		add(p+"[custom_fields][4][values][0][value]", "Шлифовка")
		add(p+"[custom_fields][4][values][0][enum]", "908111")
		add(p+"[custom_fields][4][values][1][value]", "Фацет")
		add(p+"[custom_fields][4][values][1][enum]", "908113")
		add(p+"[created_at]", "1726572752")
		add(p+"[updated_at]", "1726572758")
	}
	add("account[subdomain]", "example")
	add("account[id]", fmt.Sprint(account))
	add("account[_links][self]", "https://example.amocrm.ru")
	return []byte(strings.Join(parts, "&"))
}
