/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "ocf-meta.h"
#include "ocf-params.h"

/* The descriptions are ours, but escape them anyway: the XML must parse. */
static void
put_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '>')
			fputs("&gt;", f);
		else if (*s == '&')
			fputs("&amp;", f);
		else if (*s == '"')
			fputs("&quot;", f);
		else
			fputc(*s, f);
	}
}

static void
put_param(FILE *f, const struct ocf_param *p)
{
	fprintf(f, "<parameter name=\"%s\" unique=\"%d\" required=\"%d\"%s>\n", p->name,
		!!(p->flags & OCF_P_UNIQUE), !!(p->flags & OCF_P_REQUIRED),
		p->flags & OCF_P_RELOADABLE ? " reloadable=\"1\"" : "");
	fputs("<longdesc lang=\"en\">", f);
	if (p->flags & OCF_P_COMPAT)
		fputs("IPaddr2's parameter, accepted at its default only: ", f);
	put_text(f, p->longdesc);
	fputs("</longdesc>\n<shortdesc lang=\"en\">", f);
	put_text(f, p->shortdesc);
	fprintf(f, "</shortdesc>\n<content type=\"%s\"", p->type);
	if (p->def) {
		fputs(" default=\"", f);
		put_text(f, p->def);
		fputc('"', f);
	}
	fputs(" />\n</parameter>\n", f);
}

int
ocf_meta_print(FILE *f)
{
	fputs("<?xml version=\"1.0\"?>\n"
	      "<!DOCTYPE resource-agent SYSTEM \"ra-api-1.dtd\" [\n"
	      "<!ATTLIST parameter reloadable (1|0) \"0\">\n"
	      "<!ATTLIST action name CDATA #REQUIRED>\n"
	      "]>\n",
	      f);
	fprintf(f, "<resource-agent name=\"vip\" version=\"%s\">\n", PACKAGE_VERSION);
	fputs("<version>1.1</version>\n"
	      "<longdesc lang=\"en\">\n"
	      "corovip's floating address, applied where Pacemaker places it: a drop-in for "
	      "IPaddr2 (the same parameters where they mean the same), with no shell and no "
	      "forked tools (netlink and corovip's own announce frames), and with cloud "
	      "backends (OpenStack floating IPs) behind the same parameters. Addresses carry "
	      "an owner tag: stop removes only the address this agent added, never one of "
	      "corovipd's or an administrator's, and the agent refuses an address that "
	      "corovipd manages on the node.\n"
	      "</longdesc>\n"
	      "<shortdesc lang=\"en\">Floating IP address (corovip)</shortdesc>\n"
	      "<parameters>\n",
	      f);
	for (size_t i = 0; i < ocf_n_params; i++)
		put_param(f, &ocf_params[i]);
	fputs("</parameters>\n"
	      "<actions>\n"
	      "<action name=\"start\" timeout=\"20s\" />\n"
	      "<action name=\"stop\" timeout=\"20s\" />\n"
	      "<action name=\"monitor\" depth=\"0\" timeout=\"20s\" interval=\"10s\" />\n"
	      "<action name=\"reload-agent\" timeout=\"20s\" />\n"
	      "<action name=\"meta-data\" timeout=\"5s\" />\n"
	      "<action name=\"validate-all\" timeout=\"20s\" />\n"
	      "</actions>\n"
	      "</resource-agent>\n",
	      f);
	return fflush(f) == 0 && !ferror(f) ? 0 : -EIO;
}
