/**
 * The XML machinery behind the domain-xml API: the one JAXB context, the model's shape as read from its annotations,
 * RELAX NG validation with Jing, XML comparison as data and a small XML writer. Not exported.
 */
package org.jkvm.domainxml.internal;
